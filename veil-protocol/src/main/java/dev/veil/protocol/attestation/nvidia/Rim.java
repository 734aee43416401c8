package dev.veil.protocol.attestation.nvidia;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.crypto.MarshalException;
import javax.xml.crypto.dsig.DigestMethod;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.SignatureMethod;
import javax.xml.crypto.dsig.Transform;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureException;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMValidateContext;
import javax.xml.crypto.KeySelector;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * An NVIDIA Reference Integrity Manifest: a signed ISO/IEC 19770-2 SWID tag ({@code SoftwareIdentity}) whose
 * {@code Payload} lists, per measurement index, whether it is active and its allowed SHA-384 values, and whose
 * enveloped XML signature (C14N 1.1, ECDSA-SHA384, SHA-384 digest, {@code Reference URI=""}) carries the signing
 * certificate chain in {@code KeyInfo/X509Data}.
 *
 * <p>{@link #parse} reads the XML with secure processing on and no DTD, external entity or XInclude;
 * {@link #verify} checks the signature with the JDK's XML Digital Signature API (secure validation on) and the chain
 * to a pinned root. Signature wrapping is defeated by construction: the only reference accepted is {@code URI=""} (the
 * whole document, the signature excepted), the single {@code Signature} must be a child of the document element, and
 * the measurements are read from that same document element.
 */
public final class Rim {

    /** The largest RIM accepted (NVIDIA's are about 20 KiB). */
    public static final int MAX_SIZE = 1024 * 1024;
    static final String SWID_NS = "http://standards.iso.org/iso/19770/-2/2015/schema.xsd";
    static final String SHA384_NS = "http://www.w3.org/2001/04/xmlenc#sha384";
    static final String C14N_11 = "http://www.w3.org/2006/12/xml-c14n11";
    private static final int MAX_MEASUREMENTS = 256;
    private static final int MAX_ALTERNATIVES = 64;

    /**
     * The allowed values of one measurement.
     *
     * @param index        the RIM index (0-based; SPDM block index - 1)
     * @param active       whether it is compared
     * @param size         the measurement size in bytes
     * @param alternatives the allowed values, lower-case hex
     */
    public record Measurement(int index, boolean active, int size, List<String> alternatives) {
        public Measurement {
            alternatives = List.copyOf(alternatives);
        }
    }

    private final Document document;
    private final String version;
    private final String product;
    private final Map<Integer, Measurement> measurements;
    private final List<X509Certificate> chain;

    private Rim(Document document, String version, String product, Map<Integer, Measurement> measurements,
                List<X509Certificate> chain) {
        this.document = document;
        this.version = version;
        this.product = product;
        this.measurements = measurements;
        this.chain = chain;
    }

    /** The colloquial version: the driver version ({@code 550.90.07}) or VBIOS version ({@code 96.00.9F.00.01}). */
    public String version() {
        return version;
    }

    /** The chip the RIM is for ({@code GH100}, {@code GB100}), from {@code Meta/@product}. */
    public String product() {
        return product;
    }

    /** The measurements by RIM index. */
    public Map<Integer, Measurement> measurements() {
        return measurements;
    }

    /** The signing certificates from {@code KeyInfo}, leaf first, as presented (not yet validated). */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** Parses a RIM without verifying it. */
    public static Rim parse(byte[] xml) throws GpuFormatException {
        if (xml == null || xml.length == 0) {
            throw new GpuFormatException("RIM", "empty");
        }
        if (xml.length > MAX_SIZE) {
            throw new GpuFormatException("RIM", xml.length + " bytes, more than the " + MAX_SIZE + " accepted");
        }
        Document doc;
        try {
            doc = builder().parse(new ByteArrayInputStream(xml));
        } catch (SAXException | IOException e) {
            throw new GpuFormatException("RIM", "not well-formed XML or refused construct (DTD, entity): "
                    + e.getMessage());
        }
        Element root = doc.getDocumentElement();
        if (!SWID_NS.equals(root.getNamespaceURI()) || !"SoftwareIdentity".equals(root.getLocalName())) {
            throw new GpuFormatException("RIM", "the document element is not a SWID SoftwareIdentity");
        }
        Element meta = onlyChild(root, SWID_NS, "Meta");
        String version = meta.getAttribute("colloquialVersion");
        if (version.isBlank()) {
            throw new GpuFormatException("RIM Meta", "no colloquialVersion");
        }
        Element payload = onlyChild(root, SWID_NS, "Payload");
        Map<Integer, Measurement> measurements = new LinkedHashMap<>();
        for (Element resource : children(payload, SWID_NS, "Resource")) {
            if (measurements.size() == MAX_MEASUREMENTS) {
                throw new GpuFormatException("RIM Payload", "more than " + MAX_MEASUREMENTS + " measurements");
            }
            Measurement m = measurement(resource);
            if (measurements.putIfAbsent(m.index(), m) != null) {
                throw new GpuFormatException("RIM Payload", "measurement index " + m.index() + " appears twice");
            }
        }
        if (measurements.isEmpty()) {
            throw new GpuFormatException("RIM Payload", "no measurements");
        }
        Element signature = signatureElement(doc);
        List<X509Certificate> chain = keyInfoChain(signature);
        return new Rim(doc, version.strip(), meta.getAttribute("product").strip(),
                java.util.Collections.unmodifiableMap(measurements), chain);
    }

    private static Measurement measurement(Element r) throws GpuFormatException {
        try {
            int index = Integer.parseInt(r.getAttribute("index"));
            int alternatives = Integer.parseInt(r.getAttribute("alternatives"));
            int size = Integer.parseInt(r.getAttribute("size"));
            if (index < 0 || index > 254 || alternatives < 1 || alternatives > MAX_ALTERNATIVES || size < 1
                    || size > 1024) {
                throw new GpuFormatException("RIM Resource " + r.getAttribute("name"),
                        "index, alternatives or size out of range");
            }
            String active = r.getAttribute("active");
            if (!active.equals("True") && !active.equals("False")) {
                throw new GpuFormatException("RIM Resource " + index, "active must be True or False");
            }
            List<String> values = new ArrayList<>();
            for (int i = 0; i < alternatives; i++) {
                String v = r.getAttributeNS(SHA384_NS, "Hash" + i).strip().toLowerCase(Locale.ROOT);
                if (v.length() != 2 * size) {
                    throw new GpuFormatException("RIM Resource " + index, "Hash" + i + " is not " + size
                            + " bytes of hex");
                }
                HexFormat.of().parseHex(v);
                values.add(v);
            }
            return new Measurement(index, active.equals("True"), size, values);
        } catch (IllegalArgumentException e) {
            throw new GpuFormatException("RIM Resource " + r.getAttribute("name"), "malformed: " + e.getMessage());
        }
    }

    private static Element signatureElement(Document doc) throws GpuFormatException {
        NodeList sigs = doc.getElementsByTagNameNS(XMLSignature.XMLNS, "Signature");
        if (sigs.getLength() != 1) {
            throw new GpuFormatException("RIM signature", "expected exactly one ds:Signature, found "
                    + sigs.getLength());
        }
        Element sig = (Element) sigs.item(0);
        if (sig.getParentNode() != doc.getDocumentElement()) {
            throw new GpuFormatException("RIM signature", "ds:Signature is not a child of the SoftwareIdentity");
        }
        return sig;
    }

    private static List<X509Certificate> keyInfoChain(Element signature) throws GpuFormatException {
        Element keyInfo = onlyChild(signature, XMLSignature.XMLNS, "KeyInfo");
        Element data = onlyChild(keyInfo, XMLSignature.XMLNS, "X509Data");
        List<X509Certificate> chain = new ArrayList<>();
        for (Element c : children(data, XMLSignature.XMLNS, "X509Certificate")) {
            if (chain.size() == GpuCerts.MAX_CHAIN) {
                throw new GpuFormatException("RIM KeyInfo", "more than " + GpuCerts.MAX_CHAIN + " certificates");
            }
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(c.getTextContent().strip());
            } catch (IllegalArgumentException e) {
                throw new GpuFormatException("RIM KeyInfo", "certificate " + (chain.size() + 1) + " is not base64");
            }
            chain.add(GpuCerts.der(der, "RIM KeyInfo certificate " + (chain.size() + 1)));
        }
        if (chain.isEmpty()) {
            throw new GpuFormatException("RIM KeyInfo", "no X509Certificate");
        }
        return List.copyOf(chain);
    }

    /**
     * Verifies the chain to one of {@code roots} (pinned by key) at {@code at}, then the XML signature with the leaf's
     * key. Returns the validated path (leaf first, root last).
     *
     * @throws GpuFormatException      when the signature is not of the one accepted shape
     * @throws GeneralSecurityException when the chain or the signature does not verify
     */
    public List<X509Certificate> verify(List<X509Certificate> roots, Instant at)
            throws GpuFormatException, GeneralSecurityException {
        List<X509Certificate> path = GpuCerts.validate(chain, roots, at, "NVIDIA RIM signing root");
        Element sigElement = signatureElement(document);
        XMLSignatureFactory factory = XMLSignatureFactory.getInstance("DOM");
        DOMValidateContext ctx = new DOMValidateContext(KeySelector.singletonKeySelector(chain.getFirst()
                .getPublicKey()), sigElement);
        ctx.setProperty("org.jcp.xml.dsig.secureValidation", Boolean.TRUE);
        XMLSignature signature;
        try {
            signature = factory.unmarshalXMLSignature(ctx);
        } catch (MarshalException e) {
            throw new GpuFormatException("RIM signature", "does not unmarshal: " + e.getMessage());
        }
        checkShape(signature);
        try {
            if (!signature.validate(ctx)) {
                boolean digestOk = ((Reference) signature.getSignedInfo().getReferences().getFirst()).validate(ctx);
                throw new GeneralSecurityException(digestOk
                        ? "the RIM signature value does not verify with the RIM signing certificate's key"
                        : "the RIM content does not match its signed digest (modified after signing)");
            }
        } catch (XMLSignatureException e) {
            throw new GeneralSecurityException("the RIM signature cannot be validated: " + e.getMessage(), e);
        }
        return path;
    }

    private static void checkShape(XMLSignature signature) throws GpuFormatException {
        var si = signature.getSignedInfo();
        String c14n = si.getCanonicalizationMethod().getAlgorithm();
        if (!C14N_11.equals(c14n)) {
            throw new GpuFormatException("RIM signature", "canonicalization " + c14n + " is not C14N 1.1");
        }
        String alg = si.getSignatureMethod().getAlgorithm();
        if (!SignatureMethod.ECDSA_SHA384.equals(alg)) {
            throw new GpuFormatException("RIM signature", "method " + alg + " is not ECDSA-SHA384");
        }
        List<?> refs = si.getReferences();
        if (refs.size() != 1) {
            throw new GpuFormatException("RIM signature", "expected one reference, found " + refs.size());
        }
        Reference ref = (Reference) refs.getFirst();
        if (!"".equals(ref.getURI())) {
            throw new GpuFormatException("RIM signature", "the reference must cover the whole document (URI=\"\"),"
                    + " got URI=\"" + ref.getURI() + "\"");
        }
        if (!DigestMethod.SHA384.equals(ref.getDigestMethod().getAlgorithm())) {
            throw new GpuFormatException("RIM signature", "digest " + ref.getDigestMethod().getAlgorithm()
                    + " is not SHA-384");
        }
        List<?> transforms = ref.getTransforms();
        if (transforms.isEmpty() || !Transform.ENVELOPED.equals(((Transform) transforms.getFirst()).getAlgorithm())) {
            throw new GpuFormatException("RIM signature", "the reference must use the enveloped-signature transform");
        }
        for (Object t : transforms.subList(1, transforms.size())) {
            String a = ((Transform) t).getAlgorithm();
            if (!C14N_11.equals(a)) {
                throw new GpuFormatException("RIM signature", "transform " + a + " is not accepted (only"
                        + " enveloped-signature, then optionally C14N 1.1)");
            }
        }
    }

    private static DocumentBuilder builder() throws GpuFormatException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(new org.xml.sax.ErrorHandler() {
                @Override
                public void warning(org.xml.sax.SAXParseException e) {
                }

                @Override
                public void error(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;
                }

                @Override
                public void fatalError(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;
                }
            });
            b.setEntityResolver((publicId, systemId) -> {
                throw new SAXException("external entities are refused");
            });
            return b;
        } catch (ParserConfigurationException e) {
            throw new GpuFormatException("RIM", "the XML parser cannot be configured securely: " + e.getMessage());
        }
    }

    private static List<Element> children(Element parent, String ns, String name) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && ns.equals(e.getNamespaceURI()) && name.equals(e.getLocalName())) {
                out.add(e);
            }
        }
        return out;
    }

    private static Element onlyChild(Element parent, String ns, String name) throws GpuFormatException {
        List<Element> found = children(parent, ns, name);
        if (found.size() != 1) {
            throw new GpuFormatException("RIM", "expected one " + name + " in " + parent.getLocalName() + ", found "
                    + found.size());
        }
        return found.getFirst();
    }
}
