"""Reads a report workbook with openpyxl (a reader that is not ours) and prints what a
user would look at as JSON: sheets, frozen panes, filters, charts, cells and formats."""
import json
import sys

import openpyxl

book = openpyxl.load_workbook(sys.argv[1])
out = {"sheets": book.sheetnames, "detail": {}}
for ws in book.worksheets:
    rows = []
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 40)):
        rows.append([
            {"v": (c.value.isoformat() if hasattr(c.value, "isoformat") else c.value),
             "f": c.number_format}
            for c in row
        ])
    out["detail"][ws.title] = {
        "freeze": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
        "charts": len(ws._charts),
        "max_row": ws.max_row,
        "rows": rows,
    }
json.dump(out, sys.stdout)
