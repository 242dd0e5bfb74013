"""Layer uploads against a server started with --registry-max-uploads 2 --registry-upload-expiry 1.

Starts two uploads through ECR, then a third through ECR and one through /v2/ (both refused at the cap), waits past
the expiry and tries the abandoned upload again (gone) and a new one (room again). Prints the answers.
"""
import json
import time
import urllib.error
import urllib.request

import boto3
import botocore.config

from berth_common import ENDPOINT, REGION, call, emit

config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
ecr = boto3.client("ecr", endpoint_url=ENDPOINT, region_name=REGION, config=config)


def v2(method, path, body=b""):
    request = urllib.request.Request(ENDPOINT + path, data=body, method=method, headers={"Authorization": "Basic " + token})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return {"status": response.status, "location": response.headers.get("Location")}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "code": json.loads(e.read())["errors"][0]["code"]}


ecr.create_repository(repositoryName="capped")
token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
report = {"first": [call(ecr.initiate_layer_upload, repositoryName="capped") for _ in range(2)]}
report["thirdEcr"] = call(ecr.initiate_layer_upload, repositoryName="capped")
report["thirdV2"] = v2("POST", "/v2/capped/blobs/uploads/")
report["otherRepository"] = (ecr.create_repository(repositoryName="other"), v2("POST", "/v2/other/blobs/uploads/"))[1]
time.sleep(3)
abandoned = report["first"][0]["response"]["uploadId"]
report["abandonedPart"] = call(ecr.upload_layer_part, repositoryName="capped", uploadId=abandoned, partFirstByte=0, partLastByte=2, layerPartBlob=b"abc")
report["abandonedV2"] = v2("GET", "/v2/capped/blobs/uploads/" + abandoned)
report["afterExpiry"] = call(ecr.initiate_layer_upload, repositoryName="capped")
emit(report)
