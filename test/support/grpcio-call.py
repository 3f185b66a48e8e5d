# One gRPC call made with grpcio, Python's gRPC on the C core: a client this
# project did not write. Reads the call as JSON on stdin, writes what it got as
# JSON on stdout. Messages go through as bytes (base64), encoded and decoded by
# the test with protobuf-es, so no generated Python code is needed.
import base64
import json
import sys

import grpc


def metadata(pairs):
    """Metadata as [key, value] pairs, binary values (-bin keys) in base64."""
    if pairs is None:
        return []
    return [[k, base64.b64encode(v).decode() if isinstance(v, bytes) else v] for k, v in pairs]


def main():
    call = json.load(sys.stdin)
    as_bytes = lambda message: message
    request = base64.b64decode(call["request"])
    options = {
        "timeout": call.get("timeoutSeconds"),
        "metadata": [tuple(pair) for pair in call.get("metadata", [])],
        "compression": grpc.Compression.Gzip if call.get("gzip") else None,
    }
    result = {"responses": []}
    with grpc.insecure_channel(call["target"]) as channel:
        try:
            if call.get("take") is not None:
                # Server streaming: the first `take` messages, then the call is cancelled.
                stream = channel.unary_stream(call["method"], request_serializer=as_bytes, response_deserializer=as_bytes)(request, **options)
                for message in stream:
                    result["responses"].append(base64.b64encode(message).decode())
                    if len(result["responses"]) >= call["take"]:
                        stream.cancel()
                        break
                result.update(code="OK", details="", initial=metadata(stream.initial_metadata()), trailing=[])
            else:
                method = channel.unary_unary(call["method"], request_serializer=as_bytes, response_deserializer=as_bytes)
                response, rpc = method.with_call(request, **options)
                result["responses"].append(base64.b64encode(response).decode())
                result.update(code=rpc.code().name, details=rpc.details() or "", initial=metadata(rpc.initial_metadata()), trailing=metadata(rpc.trailing_metadata()))
        except grpc.RpcError as error:
            result.update(code=error.code().name, details=error.details() or "", initial=metadata(error.initial_metadata()), trailing=metadata(error.trailing_metadata()))
    json.dump(result, sys.stdout)


main()
