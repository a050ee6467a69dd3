"""Administrators' pages (``/admin/...``); admin owns no models."""
