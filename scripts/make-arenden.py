#!/usr/bin/env python3
# sample-data/arenden.csv: the first 2,000 cases of sample-data/cases.csv as a municipal
# case system exports them: Swedish column names and values, Windows-1252, `;`, CRLF,
# Ja/Nej, hours with a decimal comma, and two broken rows (a field missing, a key empty).
import csv, io
AREA = {"barn_unga": "Barn och unga", "funktionshinder": "Funktionshinder",
        "missbruk": "Missbruk", "aldre": "Äldreomsorg"}
JA = {"true": "Ja", "false": "Nej", "": ""}
rows = list(csv.DictReader(open("sample-data/cases.csv", encoding="utf-8"), delimiter=";"))[:2000]
out = io.StringIO()
w = csv.writer(out, delimiter=";", lineterminator="\r\n")
w.writerow(["ärende_id", "kommunkod", "verksamhetsområde", "kön", "född_år", "inledd_datum",
            "beslut_datum", "barnet_hört", "antal_sidor", "handläggningstimmar"])
for i, r in enumerate(rows):
    hours = f"{int(r['pages']) / 40:.1f}".replace(".", ",")
    row = [r["case_id"], r["municipality_code"], AREA[r["area"]], r["sex"], r["birth_year"],
           r["opened_date"], r["decided_date"], JA[r["child_heard"]], r["pages"], hours]
    if i == 700:
        row = row[:-1]  # a field missing
    if i == 1400:
        row[0] = ""  # an empty key
    w.writerow(row)
open("sample-data/arenden.csv", "wb").write(out.getvalue().encode("cp1252"))
