"""Text handling shared by ingest and search: :mod:`store.text.clean` decodes files and
cleans paragraphs for display; :mod:`store.text.norm` folds text for search (with a
map back to the displayed characters) and splits it into index words."""
