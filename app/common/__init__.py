"""What every service of the image shares, free of any web framework: settings read from the environment, and
JSON log lines."""
