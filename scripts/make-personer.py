#!/usr/bin/env python3
# sample-data/personer.csv: 300 synthetic cases keyed by personnummer for the
# personal-data guide. Birth dates fall in the 2090s, so no number can belong to a living
# person; every check digit is valid (Luhn over the last ten digits) except where broken
# on purpose: row 150 has a wrong check digit, row 151 an impossible date (2091-02-30),
# row 152 is empty.
import csv, hashlib
def luhn(nine):
    s = 0
    for i, c in enumerate(nine):
        d = int(c) * (2 if i % 2 == 0 else 1)
        s += d - 9 if d > 9 else d
    return str((10 - s % 10) % 10)
def u(i, what):
    return int(hashlib.sha256(f"{i}|{what}".encode()).hexdigest()[:8], 16)
areas = ["Barn och unga", "Funktionshinder", "Missbruk", "Äldreomsorg"]
with open("sample-data/personer.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, delimiter=";")
    w.writerow(["personnummer", "kommunkod", "verksamhetsområde", "antal_sidor"])
    for i in range(1, 301):
        y, m, d = 2090 + u(i, "y") % 10, 1 + u(i, "m") % 12, 1 + u(i, "d") % 28
        serial = f"{u(i, 's') % 1000:03d}"
        date = f"{y % 100:02d}{m:02d}{d:02d}"
        pnr = f"{y}{m:02d}{d:02d}-{serial}{luhn(date + serial)}"
        if i == 150:
            pnr = pnr[:-1] + str((int(pnr[-1]) + 1) % 10)
        if i == 151:
            date = f"{91:02d}0230"
            pnr = f"20910230-{serial}{luhn(date + serial)}"
        if i == 152:
            pnr = ""
        w.writerow([pnr, ["0180", "1880", "0580"][u(i, "k") % 3], areas[u(i, "a") % 4], 50 + u(i, "p") % 400])
