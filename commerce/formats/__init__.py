"""The hub's date and time formats (FORMAT_MODULE_PATH): one of each, see commerce/clock.py."""
