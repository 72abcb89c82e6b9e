"""The investigator app's own package: labels in both languages, view models, pages.

``labels`` and ``viewmodels`` are plain Python (no Streamlit), so they can be tested
and reused without a running app; ``pages/`` and ``common`` are the Streamlit side.
"""
