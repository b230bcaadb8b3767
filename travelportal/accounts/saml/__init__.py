"""SAML 2.0 single sign-on, SP-initiated, one service provider per company (issue 13).

pysaml2 does the protocol and the XML signatures (through Debian's ``xmlsec1``);
djangosaml2 is not used because its service provider is configured once, from Django
settings, while here every company is its own service provider with its own entity ID,
key pair and identity provider, all in the database. ``config.saml_client`` builds
pysaml2's ``SPConfig`` from one company's ``SsoConfiguration``, in that one place.

Modules: ``keys`` (the SP key pair, certificate facts), ``federation`` (reading an
identity provider's metadata), ``config`` (pysaml2 per company), ``checks`` (the pure
rules a Response must meet), ``services`` (the workflows views, admin and the
``configure_sso`` command call), ``forms``, ``views`` and ``urls``.
"""
