"""boto3/botocore failures as the project's errors: one clear message, never credentials."""

from __future__ import annotations

import botocore.exceptions as boto_errors

from jwstdata import errors
from jwstdata.redact import redact_uri

BOTO_ERRORS = (boto_errors.ClientError, boto_errors.BotoCoreError)
_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_DENIED_CODES = frozenset(
    {"403", "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch",
     "ExpiredToken", "InvalidToken"}
)  # fmt: skip
_NO_CREDENTIALS = (boto_errors.NoCredentialsError, boto_errors.PartialCredentialsError)
_UNREACHABLE = (
    boto_errors.EndpointConnectionError,
    boto_errors.ConnectTimeoutError,
    boto_errors.ReadTimeoutError,
    boto_errors.ConnectionClosedError,
)


def error_code(exc: Exception) -> str:
    """The S3 error code of a ClientError ('' for other failures)."""
    if isinstance(exc, boto_errors.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def s3_error(
    exc: Exception,
    action: str,
    key: str | None,
    *,
    bucket: str,
    prefix: str,
    endpoint_url: str | None,
    where: str | None = None,
) -> errors.JwstDataError:
    """One clear error for a boto3/botocore failure on ``action`` of ``key`` in ``bucket``."""
    target = f"s3://{bucket}/{prefix}{key if key is not None else where or ''}"
    details = {"bucket": bucket, "key": key}
    code = error_code(exc)
    if code == "NoSuchBucket" or (key is None and code in _NOT_FOUND_CODES):
        return errors.StorageError(f"S3 bucket {bucket!r} does not exist", details=details)
    if key is not None and code in _NOT_FOUND_CODES:
        return errors.NotFoundError(f"storage object {key!r} not found", details={"key": key})
    if code in _DENIED_CODES:
        return errors.StorageError(
            f"S3 denied {action} on {target} ({code}): check the credentials and the bucket policy",
            details=details,
        )
    if isinstance(exc, _NO_CREDENTIALS):
        return errors.StorageError(
            "no usable AWS credentials found (environment, shared config files or an "
            "instance/container role)",
            details=details,
        )
    if isinstance(exc, boto_errors.ClientError):
        reason = f"{code} {exc.response.get('Error', {}).get('Message') or ''}".rstrip()
    else:
        reason = redact_uri(str(exc))
    if isinstance(exc, _UNREACHABLE):
        endpoint = redact_uri(endpoint_url) if endpoint_url else "AWS S3"
        message = f"cannot reach {endpoint} to {action} {target}: {reason}"
    else:
        message = f"S3 {action} failed on {target}: {reason}"
    return errors.StorageError(message, details=details)
