"""Test set-up. FUPIN_HOME is set in fupin.config.settings_test, before settings are read."""
