"""Customer import from CSV (UTF-8) and XLSX files.

The first row names the columns; each later row is one customer, upserted as
`profiles.upsert_customer` upserts one (merge semantics, source "import"), through its bulk
path a batch at a time (`services/bulk_profiles.py`). An empty cell leaves the field
as it is. A row that breaks a rule is rejected and reported with its number as a spreadsheet
counts rows (the header is row 1), the column at fault, a code and a message; the other rows
are kept. Problems with the file itself (its format, encoding, size, columns or number of
rows) refuse the whole file before anything is written. Each run is stored as a
`CustomerImport`.

- `kizuna.core.imports.readers`: file formats, size checks and the tables of rows a file
  holds (shared with the order and event imports);
- `columns`: the header's columns and the typed values of cells;
- `rows`: rows parsed, checked and upserted, a batch through the bulk path;
- `events`: the import kind of custom events (`POST /events/import`);
- `jobs`: runs in checkpointed batches (uploads in the background, the command line in its
  own process), their failures and their resumption."""
