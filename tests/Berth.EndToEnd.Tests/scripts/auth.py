"""Authentication failures and the presigned form, as raw botocore-signed requests. Prints one JSON object of cases."""
import datetime
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from berth_common import ACCESS_KEY, ENDPOINT, REGION, SECRET_KEY, TARGET_PREFIX, emit, send, signed_request

LIST = TARGET_PREFIX + "ListClusters"
results = {}

results["valid"] = send(signed_request(LIST, "{}"))
results["unknownAccessKey"] = send(signed_request(LIST, "{}", access_key="AKIDUNKNOWNKEY000000"))
results["wrongSecret"] = send(signed_request(LIST, "{}", secret_key=SECRET_KEY + "x"))
old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
results["expiredDate"] = send(signed_request(LIST, "{}", timestamp=old))
recent = datetime.datetime.utcnow() - datetime.timedelta(minutes=5)
results["fiveMinutesOld"] = send(signed_request(LIST, "{}", timestamp=recent))
results["noAuthorization"] = send(signed_request(LIST, "{}", sign=False))
results["scopedToS3"] = send(signed_request(LIST, "{}", service="s3"))
results["otherRegion"] = send(signed_request(LIST, "{}", region="eu-west-1"))

# The body is covered by the signature: change it after signing.
tampered = signed_request(LIST, '{"maxResults": 1}')
tampered.data = b'{"maxResults": 2}'
results["tamperedBody"] = send(tampered)

# Presigned: the signature in the query string, no Authorization header.
creds = botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY)
presigned = botocore.awsrequest.AWSRequest(
    method="POST", url=ENDPOINT + "/", data=b"{}",
    headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": LIST})
botocore.auth.SigV4QueryAuth(creds, "ecs", REGION, expires=300).add_auth(presigned)
results["presigned"] = send(presigned)
results["presignedHasAuthorization"] = "Authorization" in presigned.headers
results["presignedQuery"] = sorted(urllib.parse.parse_qs(urllib.parse.urlsplit(presigned.url).query).keys())

# Presigned with a wrong secret is refused too.
bad = botocore.awsrequest.AWSRequest(
    method="POST", url=ENDPOINT + "/", data=b"{}",
    headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": LIST})
botocore.auth.SigV4QueryAuth(botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY + "x"), "ecs", REGION, expires=300).add_auth(bad)
results["presignedWrongSecret"] = send(bad)

results["secret"] = SECRET_KEY
emit(results)
