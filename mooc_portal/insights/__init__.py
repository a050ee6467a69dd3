"""Insights: what the initiative shows its ministers and partners, in figures and charts.

The figures read summaries (:mod:`mooc_portal.insights.models`) that
:func:`~mooc_portal.insights.refresh.refresh_insights` rebuilds from the enrolments in a few
set-based statements, so a page sums a few thousand rows whatever the number of enrolments.
"""
