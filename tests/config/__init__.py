"""Checks of the shipped monitoring configuration against what the app exports."""
