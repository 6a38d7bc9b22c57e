"""Reusable NiceGUI pieces shared by every page."""
