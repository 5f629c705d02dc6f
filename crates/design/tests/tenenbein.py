"""Independent check of urval_design::tenenbein (run once; the figures are pinned in
agreement.rs's test `tenenbein_matches_an_independent_implementation`).

Double sampling for stratification by the self-review's answer (Tenenbein 1970; Cochran
1977 section 12.2), computed with exact fractions: the subsample's 2x2 table
(self yes: 50 inspector yes, 10 no; self no: 8 yes, 32 no), 250 + 150 phase-1 records
not re-reviewed, N = 5000.
"""
from fractions import Fraction as F
from math import sqrt

a, b, c, d = 50, 10, 8, 32
rest_yes, rest_no = 250, 150
N = 5000

m = {1: a + b, 0: c + d}
y = {1: F(a, a + b), 0: F(c, c + d)}
n_phase1 = {1: a + b + rest_yes, 0: c + d + rest_no}
n1 = n_phase1[1] + n_phase1[0]
w = {j: F(n_phase1[j], n1) for j in (0, 1)}
p = sum(w[j] * y[j] for j in (0, 1))
within = sum(
    (F(n_phase1[j] - 1, n1 - 1) - F(m[j] - 1, N - 1)) * w[j] * (F(m[j], m[j] - 1) * y[j] * (1 - y[j])) / m[j]
    for j in (0, 1)
)
between = sum(w[j] * (y[j] - p) ** 2 for j in (0, 1))
v = F(N - 1, N) * within + F(N - n1, N * (n1 - 1)) * between
print(repr(float(p)), repr(sqrt(v)))
