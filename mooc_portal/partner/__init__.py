"""Partner staff pages (``/partner/...``)."""
