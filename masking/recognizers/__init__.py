"""Recognizer families, one module each, combined by :mod:`masking.catalog` and run by
:mod:`masking.scanner`.

- :mod:`.aws`: resource ids, ARNs (component-wise), account ids in context, access key and IAM
  unique ids, resource host names, S3 buckets, SQS URLs, KMS key ids, Route 53 zones;
- :mod:`.names`: names users give AWS resources, by field, CLI flag, log phrase or echo;
- :mod:`.secrets`: provider tokens, JWTs, private keys, URL credentials, authorization headers,
  secret-like keys in config formats;
- :mod:`.network`: IPv4/IPv6 addresses and CIDR blocks;
- :mod:`.user`: the user's terms, domain globs and regexes.

Each module exports ``CATEGORY``, ``TYPES`` (name, shape, description) and, but for ``user``,
``RECOGNIZERS``; :mod:`._base` holds the shared record and raw-byte helpers.
"""
