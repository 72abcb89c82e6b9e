"""Reference pages generated from code must be committed and current."""

from detectors.registry import all_detectors
from sunlight.docs import expected_pages


def test_every_generated_page_is_committed_and_current():
    stale = []
    for path, text in expected_pages().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(str(path))
    assert not stale, f"run `python -m sunlight.docs` and commit: {stale}"


def test_every_detector_docstring_follows_the_template():
    headings = [
        "Summary",
        "Methodology",
        "Example",
        "Why is this a red flag?",
        "Based on",
        "Output",
        "Configuration",
        "Exclusions",
    ]
    for detector in all_detectors():
        missing = [h for h in headings if f"\n{h}\n" not in "\n" + detector.doc]
        assert not missing, f"{detector.id} docstring lacks {missing}"
