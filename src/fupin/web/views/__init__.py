"""Page views: thin — they check rights, call one selector or service, and render."""
