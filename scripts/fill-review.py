#!/usr/bin/env python3
# Fill a review template (excel-sv CSV) as reviewers would, for the sample data:
#   fill-review.py TEMPLATE.csv OUT.csv                  the municipality's self-review
#   fill-review.py TEMPLATE.csv OUT.csv SELF-REVIEW.csv  the inspector's re-review
# A cell the template already holds (a question marked not applicable by
# `review-template --extract`) is kept; a question that does not apply to the record's
# area is "ej tillämpligt"; otherwise "ja"
# with a share set per question, "nej" else; one record in 40 is left unanswered (in the
# re-review too). The inspector answers as the municipality did but for about one answer
# in eight. Answers come from SHA-256 of the key, so the same template gives the same file.
import csv, hashlib, sys
applies = {
    "investigation_within_4_months": {"barn_unga"}, "assessment_within_14_days": {"barn_unga"},
    "child_heard": {"barn_unga"}, "individual_plan": {"missbruk"},
    "executed_within_3_months": {"funktionshinder", "aldre"},
}
share = {"investigation_within_4_months": 0.7, "assessment_within_14_days": 0.85,
         "child_heard": 0.75, "decision_communicated": 0.9, "individual_plan": 0.6,
         "executed_within_3_months": 0.8}
def u(*parts):
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:12], 16) / 16**12
template, out = sys.argv[1], sys.argv[2]
own = {}
if len(sys.argv) > 3:
    with open(sys.argv[3], encoding="utf-8-sig", newline="") as f:
        own = {r["case_id"]: r for r in csv.DictReader(f, delimiter=";")}
with open(template, encoding="utf-8-sig", newline="") as f:
    rows = list(csv.DictReader(f, delimiter=";"))
fields = list(rows[0].keys())
for r in rows:
    key = r["case_id"]
    if u(key, "skip") < 1 / 40:
        continue  # no answer in the self-review, so none to re-review either
    for q in share:
        if q not in r:
            continue
        if r[q]:
            continue  # preset by urval review-template --extract: outside the question
        if r["area"] not in applies.get(q, {r["area"]}):
            r[q] = "ej tillämpligt"
        elif own:
            a = own[key][q]
            flip = {"ja": "nej", "nej": "ja"}.get(a, a)
            r[q] = flip if a and u(key, q, "inspector") < 1 / 8 else a
        else:
            r[q] = "ja" if u(key, q) < share[q] else "nej"
    r["granskare"] = "IVO" if own else "Kommunen"
    r["datum"] = "2026-12-01"
with open(out, "w", encoding="utf-8-sig", newline="") as f:
    w = csv.DictWriter(f, fieldnames=fields, delimiter=";", quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
