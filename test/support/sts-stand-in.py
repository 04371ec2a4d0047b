# moto's STS application, served alone, fronted as AWS fronts STS: a presigned (query-signed) request has its SigV4
# signature verified with botocore and its caller identified from X-Amz-Credential. moto's own server neither checks
# signatures nor reads the caller from a presigned URL (it would answer as its default user), and it routes a bare "/"
# to S3. Usage: python sts-stand-in.py PORT
import sys
from datetime import datetime, timedelta, timezone
from unittest import mock
from urllib.parse import parse_qsl, urlsplit

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import create_backend_app
from moto.sts.models import sts_backends
from werkzeug.serving import run_simple

sts = create_backend_app("sts")


def refuse(start_response, code, message):
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error></ErrorResponse>"
    ).encode()
    start_response("403 Forbidden", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


def app(environ, start_response):
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    if "X-Amz-Signature" not in query:
        return sts(environ, start_response)
    key, _day, region, service, _ = query.get("X-Amz-Credential", "////").split("/")
    role = sts_backends[DEFAULT_ACCOUNT_ID]["aws"].get_assumed_role_from_access_key(key)
    if role is None or role.session_token != query.get("X-Amz-Security-Token"):
        return refuse(start_response, "InvalidClientTokenId", "The security token included in the request is invalid.")
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    if datetime.now(timezone.utc) - signed_at > timedelta(minutes=15):
        return refuse(start_response, "ExpiredToken", "Request has expired.")
    signed_headers = query["X-Amz-SignedHeaders"].split(";")
    headers = {h: environ.get("HTTP_" + h.upper().replace("-", "_"), "") for h in signed_headers}
    params = {k: v for k, v in query.items() if not k.startswith("X-Amz-")}
    request = AWSRequest(method=environ["REQUEST_METHOD"], url=f"https://{headers['host']}/", params=params, headers=headers)
    auth = SigV4QueryAuth(Credentials(key, role.secret_access_key, role.session_token), service, region, expires=int(query["X-Amz-Expires"]))
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at.replace(tzinfo=None)):
        auth.add_auth(request)
    request.prepare()
    expected = dict(parse_qsl(urlsplit(request.url).query))["X-Amz-Signature"]
    if expected != query["X-Amz-Signature"]:
        return refuse(start_response, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
    # Identified: moto answers for the caller whose key signed, as it does for a header-signed request.
    environ["HTTP_AUTHORIZATION"] = f"AWS4-HMAC-SHA256 Credential={query['X-Amz-Credential']}, SignedHeaders={query['X-Amz-SignedHeaders']}, Signature={expected}"
    return sts(environ, start_response)


if __name__ == "__main__":
    run_simple("127.0.0.1", int(sys.argv[1]), app, threaded=True)
