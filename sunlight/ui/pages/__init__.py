"""The app's pages, one file each; Streamlit runs them by path (see ``sunlight.ui.common.PAGES``)."""
