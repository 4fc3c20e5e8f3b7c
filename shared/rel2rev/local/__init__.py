"""The embedded local stack: template.yaml played on moto, with the real handlers."""

from rel2rev.local.stack import LocalStack

__all__ = ["LocalStack"]
