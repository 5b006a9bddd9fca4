"""The record stages: a case file's bytes to a validated `Case`, and a cases folder to a library.

`load` (YAML with locations), `model` (the schema, pydantic), `refio` (reference files to
CSL-JSON and back) and `library` (every record of a folder, cross-checked and cached). They
know nothing of pages, sites or MkDocs.
"""
