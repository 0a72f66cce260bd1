"""The SQL this project ships: `sqlite.sql` (the embedded default's schema) and `bigquery/*.sql` (DDL).

A package only so the files install with the code and are read with `importlib.resources`, the same way
from a wheel, the editable install and the Cloud Functions source bundle.
"""
