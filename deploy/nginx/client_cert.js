// RFC 9440 Client-Cert for the gateway replicas: the verified client certificate as an RFC 8941
// byte sequence, ":" base64(DER) ":". A PEM body *is* base64(DER): strip the armour and the line
// breaks. nginx offers only PEM variables ($ssl_client_raw_cert, $ssl_client_escaped_cert), hence njs.
function client_cert(r) {
    var pem = r.variables.ssl_client_raw_cert;
    if (!pem) {
        return "";
    }
    var body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
    return ":" + body + ":";
}

export default { client_cert };
