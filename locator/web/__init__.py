"""The web app: the factory, its settings and services, HTTP rules, the API and the pages."""
