"""A test double of NCALayer (../shared/ncalayer.md): a WebSocket server on 127.0.0.1 holding one
PKCS#12 key, answering what a page sends — commonUtils getActiveTokens, getKeyInfo,
createCAdESFromBase64Hash, createCAdESFromBase64, and basics.sign (digested or not).

It builds and signs the CMS with asn1crypto and cryptography (pyHanko's dependencies): an
implementation other than eucdoc's. RSA and ECDSA keys; the CMS is detached, CAdES-BES-like as
NCALayer's (content-type, signing-time, message-digest; the certificate embedded).

Usage: ncalayer_double.py KEY.p12 PASSWORD_VARIABLE PORT_FILE [LIFETIME_SECONDS]
The port it listens on is written to PORT_FILE; it stops by itself after LIFETIME_SECONDS
(default 600), so a test that dies never leaves it running for long.
"""

import asyncio
import base64
import datetime
import hashlib
import json
import os
import sys

import websockets
from asn1crypto import algos, cms, core, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12


class Key:
    def __init__(self, path, password):
        with open(path, "rb") as f:
            key, cert, extra = pkcs12.load_key_and_certificates(f.read(), password.encode())
        self.key = key
        self.cert_der = cert.public_bytes(serialization.Encoding.DER)
        self.chain_der = [c.public_bytes(serialization.Encoding.DER) for c in extra or []]
        self.cert = x509.Certificate.load(self.cert_der)
        if isinstance(key, rsa.RSAPrivateKey):
            self.hash_name, self.algorithm = "sha256", "sha256_rsa"
        elif isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size == 384:
            self.hash_name, self.algorithm = "sha384", "sha384_ecdsa"
        else:
            self.hash_name, self.algorithm = "sha256", "sha256_ecdsa"

    def info(self):
        validity = self.cert["tbs_certificate"]["validity"]
        return {
            "alias": self.cert.sha1.hex(),
            "certificate": base64.b64encode(self.cert_der).decode(),
            "subjectDn": self.cert.subject.human_friendly,
            "issuerDn": self.cert.issuer.human_friendly,
            "serialNumber": format(self.cert.serial_number, "x"),
            "certNotBefore": str(int(validity["not_before"].native.timestamp() * 1000)),
            "certNotAfter": str(int(validity["not_after"].native.timestamp() * 1000)),
            "algorithm": "RSA" if self.algorithm.endswith("rsa") else "EC",
            "keyId": self.cert.key_identifier.hex() if self.cert.key_identifier else "",
        }

    def cades(self, digest):
        """A detached CMS whose message-digest is `digest` (already hashed by the page)."""
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        attributes = [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": now})]}),
            cms.CMSAttribute({"type": "message_digest", "values": [digest]}),
        ]
        # DER orders a SET OF by the encodings of its elements.
        attributes.sort(key=lambda a: a.dump())
        signed_attrs = cms.CMSAttributes(attributes)
        to_sign = signed_attrs.dump()
        chosen = hashes.SHA384() if self.hash_name == "sha384" else hashes.SHA256()
        if isinstance(self.key, rsa.RSAPrivateKey):
            signature = self.key.sign(to_sign, padding.PKCS1v15(), chosen)
        else:
            signature = self.key.sign(to_sign, ec.ECDSA(chosen))
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                            {
                                "issuer": self.cert.issuer,
                                "serial_number": self.cert.serial_number,
                            }
                        )
                    }
                ),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": self.hash_name}),
                "signed_attrs": signed_attrs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": self.algorithm}),
                "signature": signature,
            }
        )
        signed_data = cms.SignedData(
            {
                "version": "v1",
                "digest_algorithms": [algos.DigestAlgorithm({"algorithm": self.hash_name})],
                "encap_content_info": {"content_type": "data"},
                "certificates": [self.cert]
                + [x509.Certificate.load(c) for c in self.chain_der],
                "signer_infos": [signer],
            }
        )
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()

    def digest_of(self, data):
        return hashlib.new(self.hash_name, data).digest()


def common_utils(key, method, args):
    if method == "getActiveTokens":
        return ["PKCS12"]
    if method == "getKeyInfo":
        return key.info()
    if method == "createCAdESFromBase64Hash":
        storage, key_type, hash_b64 = args
        return base64.b64encode(key.cades(base64.b64decode(hash_b64))).decode()
    if method == "createCAdESFromBase64":
        storage, key_type, data_b64, attach = args
        if attach:
            raise ValueError("attached signatures are not made by this double")
        return base64.b64encode(key.cades(key.digest_of(base64.b64decode(data_b64)))).decode()
    raise ValueError(f"unknown method {method}")


def basics_sign(key, args):
    data = args["data"]
    items = data if isinstance(data, list) else [data]
    digested = args.get("signingParams", {}).get("digested", False)
    result = []
    for item in items:
        raw = base64.b64decode(item)
        digest = raw if digested else key.digest_of(raw)
        result.append(base64.b64encode(key.cades(digest)).decode())
    return {"status": True, "body": {"result": result}}


async def serve(key, port_file, lifetime):
    async def handler(websocket):
        await websocket.send(json.dumps({"result": {"version": "1.4-double"}}))
        async for message in websocket:
            try:
                request = json.loads(message)
                module, method, args = request["module"], request["method"], request.get("args")
                if module == "kz.gov.pki.knca.basics" and method == "sign":
                    answer = basics_sign(key, args)
                elif module == "kz.gov.pki.knca.commonUtils":
                    answer = {"code": "200", "responseObject": common_utils(key, method, args)}
                else:
                    raise ValueError(f"unknown module {module}")
            except Exception as e:  # the page gets NCALayer's error shape
                answer = {"code": "500", "message": str(e)}
            await websocket.send(json.dumps(answer))

    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        with open(port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(port_file + ".tmp", port_file)
        await asyncio.sleep(lifetime)


def main():
    path, password_variable, port_file = sys.argv[1:4]
    lifetime = float(sys.argv[4]) if len(sys.argv) > 4 else 600.0
    key = Key(path, os.environ[password_variable])
    asyncio.run(serve(key, port_file, lifetime))


if __name__ == "__main__":
    main()
