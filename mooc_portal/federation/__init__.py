"""Federation: the JSON API, the change feed and snapshot, OOAPI v5 and harvesting peers."""
