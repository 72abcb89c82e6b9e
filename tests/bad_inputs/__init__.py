"""The bad-input corpus: inputs that people really send, each with what the loader must say about it.

:mod:`bad_inputs.cases` holds the cases as tiny functions that write them into a folder,
so the corpus needs no binary files in the repository; ``README.md`` beside it is the table
of cases and decisions. ``tests/test_bad_inputs.py`` runs every case through the loaders,
the command line and a real embedded store.
"""
