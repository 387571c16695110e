"""A local Auth0 tenant for the demo and the server tests: discovery, JWKS and
`/oauth/token` of a `FakeTenant`, served by Django over loopback HTTP."""
