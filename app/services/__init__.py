"""Use-cases that combine the data layer and model providers; shared by pages, the CLI and the API."""
