package dev.veil.protocol.attestation.nvidia;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.xml.crypto.dsig.DigestMethod;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.SignatureMethod;
import javax.xml.crypto.dsig.SignedInfo;
import javax.xml.crypto.dsig.Transform;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMSignContext;
import javax.xml.crypto.dsig.keyinfo.KeyInfo;
import javax.xml.crypto.dsig.keyinfo.KeyInfoFactory;
import javax.xml.crypto.dsig.spec.C14NMethodParameterSpec;
import javax.xml.crypto.dsig.spec.TransformParameterSpec;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;

/** Writes and signs RIMs in NVIDIA's SWID shape with a {@link TestPki} key, for reports without a public RIM. */
final class TestRims {

    private TestRims() {
    }

    /**
     * A RIM for {@code product} at {@code version} whose active measurements are {@code values} (RIM index to hex),
     * signed by {@code signer} with {@code chain} (leaf first) in KeyInfo.
     */
    static byte[] signed(String product, String version, Map<Integer, String> values, TestPki.Issued signer,
                         List<X509Certificate> chain) {
        StringBuilder xml = new StringBuilder();
        xml.append("<SoftwareIdentity xmlns=\"").append(Rim.SWID_NS).append("\" xmlns:ns0=\"").append(Rim.SWID_NS)
                .append("\" xmlns:ns2=\"").append(Rim.SHA384_NS).append("\" corpus=\"false\" name=\"").append(product)
                .append("\" patch=\"false\" supplemental=\"false\" tagId=\"veil-test\" version=\"1.0\" tagVersion=\"0\">")
                .append("<ns0:Entity name=\"Veil test PKI\" role=\"softwareCreator tagCreator\"/>")
                .append("<ns0:Meta colloquialVersion=\"").append(version).append("\" edition=\"GPU\" product=\"")
                .append(product).append("\" revision=\"r1\"/><ns0:Payload>");
        for (int i = 0; i < 64; i++) {
            String v = values.getOrDefault(i, "00".repeat(48));
            xml.append("<ns0:Resource type=\"Measurement\" index=\"").append(i).append("\" active=\"")
                    .append(values.containsKey(i) ? "True" : "False").append("\" alternatives=\"1\" ns2:Hash0=\"")
                    .append(v).append("\" name=\"Measurement_").append(i).append("\" size=\"48\"/>");
        }
        xml.append("</ns0:Payload></SoftwareIdentity>");
        return sign(xml.toString().getBytes(StandardCharsets.UTF_8), signer, chain);
    }

    static byte[] sign(byte[] xml, TestPki.Issued signer, List<X509Certificate> chain) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
            XMLSignatureFactory fac = XMLSignatureFactory.getInstance("DOM");
            Reference ref = fac.newReference("", fac.newDigestMethod(DigestMethod.SHA384, null),
                    List.of(fac.newTransform(Transform.ENVELOPED, (TransformParameterSpec) null)), null, null);
            SignedInfo si = fac.newSignedInfo(fac.newCanonicalizationMethod(Rim.C14N_11,
                    (C14NMethodParameterSpec) null), fac.newSignatureMethod(SignatureMethod.ECDSA_SHA384, null),
                    Collections.singletonList(ref));
            KeyInfoFactory kif = fac.getKeyInfoFactory();
            KeyInfo ki = kif.newKeyInfo(List.of(kif.newX509Data(new ArrayList<Object>(chain))));
            XMLSignature sig = fac.newXMLSignature(si, ki);
            DOMSignContext ctx = new DOMSignContext(signer.key(), doc.getDocumentElement());
            ctx.setDefaultNamespacePrefix("ds");
            sig.sign(ctx);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            TransformerFactory.newInstance().newTransformer().transform(new DOMSource(doc), new StreamResult(out));
            return out.toByteArray();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The report's measurements at the given RIM indexes, as a RIM would list them. */
    static Map<Integer, String> fromReport(SpdmReport report, java.util.Collection<Integer> indexes) {
        Map<Integer, String> out = new java.util.TreeMap<>();
        for (int i : indexes) {
            out.put(i, HexFormat.of().formatHex(report.blocks().get(i + 1).value()));
        }
        return out;
    }
}
