package dev.fastchat.versus;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * One XMPP client stream (RFC 6120) over plain TCP, as small as the load runs need: in-band registration
 * (XEP-0077), SASL PLAIN, resource binding, stream management (XEP-0198) if asked, initial presence. The
 * server's stream is read with the JDK's StAX parser, one top-level element at a time.
 */
final class XmppConnection implements AutoCloseable {
    static final String SM = "urn:xmpp:sm:3";
    private static final XMLInputFactory XML = xmlFactory();

    /** A top-level element of the server's stream, read whole. */
    record Element(String name, String namespace, Map<String, String> attributes, List<Element> children, String text) {
        String attribute(String key) {
            return attributes.get(key);
        }

        Element child(String childName) {
            for (Element child : children) {
                if (child.name().equals(childName)) {
                    return child;
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return "<" + name + " xmlns='" + namespace + "' " + attributes + ">" + children + text;
        }
    }

    private final Socket socket;
    private final InputStream input;
    private final OutputStream output;
    private final String domain;
    private XMLStreamReader reader;

    private XmppConnection(Socket socket, String domain) throws IOException {
        this.socket = socket;
        this.input = socket.getInputStream();
        this.output = new BufferedOutputStream(socket.getOutputStream(), 4096);
        this.domain = domain;
    }

    /**
     * Connects and logs {@code user} in, registering the account first if {@code register}; with
     * {@code streamManagement}, enables XEP-0198 before the initial presence (which is then stanza 1).
     */
    static XmppConnection open(String host, int port, String domain, String user, String password, boolean register,
                               boolean streamManagement) throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(host, port), 10_000);
        socket.setSoTimeout(30_000); // the handshake's answers; none while the load runs
        XmppConnection connection = new XmppConnection(socket, domain);
        try {
            connection.handshake(user, password, register, streamManagement);
            socket.setSoTimeout(0);
            return connection;
        } catch (IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    private void handshake(String user, String password, boolean register, boolean streamManagement) throws IOException {
        Element features = restart();
        if (register) {
            send("<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>" + user + "</username><password>"
                    + password + "</password></query></iq>");
            Element answer = next();
            if (!"result".equals(answer.attribute("type")) && (answer.child("error") == null || answer.child("error").child("conflict") == null)) {
                throw new IOException("registration of " + user + " refused: " + answer);
            }
        }
        if (features.child("mechanisms") == null) {
            throw new IOException("the server offers no SASL mechanism: " + features);
        }
        String plain = Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
        send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>");
        Element outcome = next();
        if (!outcome.name().equals("success")) {
            throw new IOException("log-in of " + user + " refused: " + outcome);
        }
        restart(); // the server says nothing more before the new stream header, so the old parser holds no bytes of it
        send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>load</resource></bind></iq>");
        Element bound = next();
        if (!"result".equals(bound.attribute("type"))) {
            throw new IOException("resource binding refused: " + bound);
        }
        if (streamManagement) {
            send("<enable xmlns='" + SM + "'/>");
            Element enabled = next();
            if (!enabled.name().equals("enabled")) {
                throw new IOException("stream management refused: " + enabled);
            }
        }
        send("<presence/>");
    }

    /** Opens a new stream and returns its features. */
    private Element restart() throws IOException {
        send("<?xml version='1.0'?><stream:stream to='" + domain + "' xmlns='jabber:client'"
                + " xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>");
        try {
            reader = XML.createXMLStreamReader(input, "UTF-8");
            while (reader.next() != XMLStreamConstants.START_ELEMENT) {
                // the XML declaration
            }
            if (!reader.getLocalName().equals("stream")) {
                throw new IOException("not an XMPP stream: <" + reader.getLocalName() + ">");
            }
        } catch (XMLStreamException e) {
            throw new IOException("unreadable stream header: " + e.getMessage(), e);
        }
        Element features = next();
        if (!features.name().equals("features")) {
            throw new IOException("expected stream features, got " + features);
        }
        return features;
    }

    /** Writes and flushes; callers on several threads are serialized. */
    void send(String xml) throws IOException {
        byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
        synchronized (output) {
            output.write(bytes);
            output.flush();
        }
    }

    /** Writes and flushes under the write lock, after {@code before} ran under it (to number a stanza in write order). */
    void send(String xml, Runnable before) throws IOException {
        byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
        synchronized (output) {
            before.run();
            output.write(bytes);
            output.flush();
        }
    }

    /** The next top-level element of the server's stream; null when the stream ends. On one thread at a time. */
    Element next() throws IOException {
        try {
            while (reader.hasNext()) {
                int event = reader.next();
                if (event == XMLStreamConstants.START_ELEMENT) {
                    return element();
                }
                if (event == XMLStreamConstants.END_ELEMENT || event == XMLStreamConstants.END_DOCUMENT) {
                    return null; // </stream:stream>
                }
            }
            return null;
        } catch (XMLStreamException e) {
            throw new IOException("unreadable stream: " + e.getMessage(), e);
        }
    }

    /** Reads the element the reader is at, to its end. */
    private Element element() throws XMLStreamException {
        String name = reader.getLocalName();
        String namespace = reader.getNamespaceURI();
        Map<String, String> attributes = new HashMap<>(4);
        for (int i = 0; i < reader.getAttributeCount(); i++) {
            attributes.put(reader.getAttributeLocalName(i), reader.getAttributeValue(i));
        }
        List<Element> children = new ArrayList<>(2);
        StringBuilder text = new StringBuilder();
        while (true) {
            int event = reader.next();
            switch (event) {
                case XMLStreamConstants.START_ELEMENT -> children.add(element());
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA -> text.append(reader.getText());
                case XMLStreamConstants.END_ELEMENT -> {
                    return new Element(name, namespace, attributes, children, text.toString());
                }
                default -> { }
            }
        }
    }

    @Override
    public void close() {
        try {
            send("</stream:stream>");
        } catch (IOException ignored) {
            // going anyway
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // closed
        }
    }

    private static XMLInputFactory xmlFactory() {
        XMLInputFactory factory = XMLInputFactory.newFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        factory.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        return factory;
    }
}
