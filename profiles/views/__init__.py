"""The profiles app's pages, one module per subject (profiles/urls.py names each view).

Every public page and action about an author loads it through
profiles.selectors.author_for_page: one rule for unknown, hidden and merged records.
"""
