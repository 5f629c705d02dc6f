"""Independent check of urval_design::stratified_accept_probability (run once; the figures
are pinned in staged.rs's test `the_stratified_risk_is_exact`).

Plan n1=36, a1=0, r1=2, n2=11, a2=1 drawn over strata N = 1000, 600, 300, 100 with stage 1
18, 11, 5, 2 and stage 2 6, 3, 2, 0 records; the exact P(accept) for three placements of
the 200 deviating records, by convolving each stratum's joint law of (X1, X2).
"""
from math import comb

POPS = [1000, 600, 300, 100]
N1 = [18, 11, 5, 2]
N2 = [6, 3, 2, 0]


def hyp(n_pop, marked, n):
    return {x: comb(marked, x) * comb(n_pop - marked, n - x) / comb(n_pop, n)
            for x in range(0, min(marked, n) + 1) if n - x <= n_pop - marked}


def joint(n_pop, marked, n1, n2):
    out = {}
    for x1, p1 in hyp(n_pop, marked, n1).items():
        for x2, p2 in hyp(n_pop - n1, marked - x1, n2).items():
            out[(x1, x2)] = out.get((x1, x2), 0) + p1 * p2
    return out


def conv(a, b):
    out = {}
    for (a1, a2), pa in a.items():
        for (b1, b2), pb in b.items():
            k = (a1 + b1, a2 + b2)
            out[k] = out.get(k, 0) + pa * pb
    return out


def accept(dist):
    return sum(p for (x1, x2), p in dist.items() if x1 <= 0 or (x1 < 2 and x1 + x2 <= 1))


for marked in ([100, 60, 30, 10], [200, 0, 0, 0], [0, 0, 100, 100]):
    d = {(0, 0): 1.0}
    for h in range(4):
        d = conv(d, joint(POPS[h], marked[h], N1[h], N2[h]))
    print(marked, repr(accept(d)))
