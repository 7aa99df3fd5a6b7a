"""The catalog of each care region (the contract): import, lookup, and the national
downloads.

Doors: import_rows, import_text, import_file (`gongji catalog import`) and prepare_import (a
console background import), for operators; search (public); loaded_at; download (1301, 1305,
1306: a list type's items newer than a version, as a zip stored for 9102, for institutions).
Settlement, FHIR and the cashier compose lookup and search_in; the demo and the benchmark use
demo_rows and to_item.

- model.py: the file columns (CSV_COLUMNS, TSV_COLUMNS), an import's report, a prepared file,
  a download.
- store.py: the catalog_items table, and reading the files (CSV, the national TSV, the
  shipped demo catalog).
- service.py: the doors, a row checked into an item, and which item is in force.

Promises: a lookup takes the pooling region's own item, else the province's, else the national
one (000000), in force on the day (the latest start date wins); every row is checked before
any is stored and rejected rows are reported, never half-stored; a row replaces the item with
the same region, code and start date.
"""
