"""Accounts: learners, partner staff and administrators."""
