package dev.fastchat.server.testing;

import com.google.protobuf.ByteString;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.MembershipChain;
import dev.fastchat.protocol.ProtocolVersion;
import dev.fastchat.protocol.v1.AddMember;
import dev.fastchat.protocol.v1.AnswerInvitation;
import dev.fastchat.protocol.v1.CreateGroup;
import dev.fastchat.protocol.v1.GroupInfo;
import dev.fastchat.protocol.v1.Invitation;
import dev.fastchat.protocol.v1.KeyLookup;
import dev.fastchat.protocol.v1.ListInvitations;
import dev.fastchat.protocol.v1.ListMembers;
import dev.fastchat.protocol.v1.MembershipAction;
import dev.fastchat.protocol.v1.MembershipStatement;
import dev.fastchat.protocol.v1.SignedStatement;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.Hello;
import dev.fastchat.protocol.v1.IdentityKeys;
import dev.fastchat.protocol.v1.KdfParams;
import dev.fastchat.protocol.v1.Login;
import dev.fastchat.protocol.v1.MessageHeader;
import dev.fastchat.protocol.v1.RecipientKey;
import dev.fastchat.protocol.v1.RecipientList;
import dev.fastchat.protocol.v1.Register;
import dev.fastchat.protocol.v1.SealedBody;
import dev.fastchat.protocol.v1.SealedMessage;
import dev.fastchat.server.config.HostAndPort;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A blocking, byte-level protocol client for tests: sends envelopes or raw bytes, reads envelopes with a
 * timeout. Deliberately independent of the client library, to test the server's handling of bad input.
 */
public final class WireClient implements AutoCloseable {
    /** How long a read waits before the test fails. */
    public static final int READ_TIMEOUT_MS = 10_000;
    /** Cheap KDF parameters that test servers accept. */
    public static final KdfParams TEST_KDF = KdfParams.newBuilder().setAlgorithm("argon2id").setMemoryKib(8)
            .setIterations(1).setParallelism(1).build();

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final AtomicLong ids = new AtomicLong();
    /** The user's identity keys and account id, when known: membership statements are signed with them. */
    private IdentityKeyPair identity;
    private long accountId;

    private WireClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(READ_TIMEOUT_MS);
        socket.setTcpNoDelay(true);
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    public static WireClient connect(HostAndPort address) {
        try {
            return new WireClient(new Socket(address.host(), address.port()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A client whose socket receive buffer is {@code receiveBufferBytes}: one that does not read soon fills
     * it and makes the server's writes to it back up, as a slow or stuck peer does.
     */
    public static WireClient connect(HostAndPort address, int receiveBufferBytes) {
        try {
            Socket socket = new Socket();
            socket.setReceiveBufferSize(receiveBufferBytes);
            socket.connect(new java.net.InetSocketAddress(address.host(), address.port()), READ_TIMEOUT_MS);
            return new WireClient(socket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Connects over TLS, trusting whatever certificate the server shows: a raw peer of a server with TLS on, which
     * speaks the protocol and nothing more (it never pings, for one).
     */
    public static WireClient connectTls(HostAndPort address) {
        try {
            javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) trustingAnyCertificate().getSocketFactory()
                    .createSocket(address.host(), address.port());
            socket.setSoTimeout(READ_TIMEOUT_MS);
            socket.startHandshake();
            return new WireClient(socket);
        } catch (IOException e) {
            throw new IllegalStateException("no TLS connection to " + address + ": " + e.getMessage(), e);
        }
    }

    /** A TLS context that trusts whatever certificate a server shows (a raw peer in a test, not a client). */
    public static javax.net.ssl.SSLContext trustingAnyCertificate() {
        try {
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Connects from a given local address (127.0.0.2, say: another client address on loopback). */
    public static WireClient connectFrom(HostAndPort address, String localHost) {
        try {
            Socket socket = new Socket();
            socket.bind(new java.net.InetSocketAddress(localHost, 0));
            socket.connect(new java.net.InetSocketAddress(address.host(), address.port()), READ_TIMEOUT_MS);
            return new WireClient(socket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh request id. */
    public long nextId() {
        return ids.incrementAndGet();
    }

    /** Sends one framed envelope. */
    public void send(Envelope envelope) {
        byte[] body = envelope.toByteArray();
        sendRaw(ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array());
    }

    /** Sends bytes as they are. */
    public void sendRaw(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the next envelope; fails the test if none arrives within the timeout. */
    public Envelope read() {
        try {
            int length = in.readInt();
            byte[] body = new byte[length];
            in.readFully(body);
            return Envelope.parseFrom(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends a request and reads its response (skipping pushes with request id 0). */
    public Envelope call(Envelope.Builder request) {
        long id = nextId();
        send(request.setRequestId(id).build());
        while (true) {
            Envelope response = read();
            if (response.getRequestId() == id) {
                return response;
            }
        }
    }

    /** Every byte the server sends until it closes the connection (fails if it does not within the timeout). */
    public byte[] readUntilClosed() {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the server closed the connection (end of stream within the timeout). */
    public boolean closedByServer() {
        try {
            while (true) {
                int length = in.readInt();
                in.skipNBytes(length);
            }
        } catch (EOFException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    /** Sends Hello and returns the answer. */
    public Envelope hello() {
        return call(Envelope.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(ProtocolVersion.CURRENT).setClient("wire-test")));
    }

    /** Registers {@code name} with {@code authKey} and new identity keys, which this client then signs with. */
    public Envelope register(String name, byte[] authKey) {
        return register(name, authKey, IdentityKeyPair.generate(new java.security.SecureRandom()));
    }

    /** Registers {@code name} with {@code authKey} and {@code keys}, which this client then signs with. */
    public Envelope register(String name, byte[] authKey, IdentityKeyPair keys) {
        identity = keys;
        Envelope answer = register(name, authKey, keys.publicIdentity().x25519(), keys.publicIdentity().ed25519());
        if (answer.hasSession()) {
            accountId = answer.getSession().getAccountId();
        }
        return answer;
    }

    /** Signs membership statements with {@code keys} as account {@code id} (after a log-in on this connection). */
    public WireClient signingAs(long id, IdentityKeyPair keys) {
        this.accountId = id;
        this.identity = keys;
        return this;
    }

    /**
     * The statement of a membership change by this client's user: the next of the chain {@code group} stands at
     * (its GroupInfo's chain fields).
     */
    public SignedStatement statement(GroupInfo group, MembershipAction action, long subjectId) {
        if (identity == null) {
            throw new IllegalStateException("this wire client has no identity keys to sign with: register through it, or signingAs");
        }
        return MembershipChain.sign(MembershipStatement.newBuilder().setChainId(group.getChainId()).setIndex(group.getChainLength())
                .setPrevious(group.getChainHead()).setAction(action).setActorId(accountId).setSubjectId(subjectId)
                .setAtMs(System.currentTimeMillis()).setSignerKeyId(1).build(), identity);
    }

    /** Creates group {@code name} with its first signed statement. */
    public Envelope createGroup(String name) {
        byte[] chainId = random(MembershipChain.CHAIN_ID_BYTES);
        SignedStatement statement = MembershipChain.sign(MembershipStatement.newBuilder().setChainId(ByteString.copyFrom(chainId))
                .setAction(MembershipAction.CREATE).setActorId(accountId).setSubjectId(accountId).setGroupName(name)
                .setAtMs(System.currentTimeMillis()).setSignerKeyId(1).build(), identity);
        return call(Envelope.newBuilder().setCreateGroup(CreateGroup.newBuilder().setName(name).setStatement(statement)));
    }

    /** Invites {@code user} to {@code group}, signed (this client's user must be an admin to succeed). */
    public Envelope invite(String group, String user) {
        Envelope members = call(Envelope.newBuilder().setListMembers(ListMembers.newBuilder().setGroup(group)));
        Envelope keys = call(Envelope.newBuilder().setKeyLookup(KeyLookup.newBuilder().addUsernames(user)));
        GroupInfo info = members.hasMemberList() ? members.getMemberList().getGroup() : GroupInfo.getDefaultInstance();
        long subject = keys.hasKeyBundle() ? keys.getKeyBundle().getUsers(0).getAccountId() : 0;
        return call(Envelope.newBuilder().setAddMember(AddMember.newBuilder().setGroup(group).setUsername(user)
                .setStatement(statement(info, MembershipAction.INVITE, subject))));
    }

    /** Accepts or declines this user's invitation to {@code group}, signed. */
    public Envelope answer(String group, boolean accept) {
        GroupInfo info = call(Envelope.newBuilder().setListInvitations(ListInvitations.getDefaultInstance())).getInvitationList()
                .getInvitationsList().stream().map(Invitation::getGroup).filter(g -> g.getName().equals(group)).findFirst()
                .orElse(GroupInfo.getDefaultInstance());
        return call(Envelope.newBuilder().setAnswerInvitation(AnswerInvitation.newBuilder().setGroup(group).setAccept(accept)
                .setStatement(statement(info, accept ? MembershipAction.ACCEPT : MembershipAction.DECLINE, accountId))));
    }

    /** Registers {@code name} with {@code authKey} and the given public identity keys (key id 1). */
    public Envelope register(String name, byte[] authKey, byte[] x25519Public, byte[] ed25519Public) {
        return call(registerRequest(name, authKey, x25519Public, ed25519Public));
    }

    /** The request that registers {@code name} with {@code authKey} and the given public identity keys (key id 1). */
    public static Envelope.Builder registerRequest(String name, byte[] authKey, byte[] x25519Public, byte[] ed25519Public) {
        return Envelope.newBuilder().setRegister(Register.newBuilder()
                .setUsername(name)
                .setAuthKey(ByteString.copyFrom(authKey))
                .setKdfParams(TEST_KDF)
                .setIdentity(IdentityKeys.newBuilder().setKeyId(1)
                        .setX25519Public(ByteString.copyFrom(x25519Public))
                        .setEd25519Public(ByteString.copyFrom(ed25519Public)))
                .setKeyBackup(ByteString.copyFrom(random(93)))
                .setDevice("test"));
    }

    public Envelope login(String name, byte[] authKey) {
        return call(Envelope.newBuilder().setLogin(Login.newBuilder().setUsername(name).setAuthKey(ByteString.copyFrom(authKey))));
    }

    public static byte[] random(int n) {
        byte[] bytes = new byte[n];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }

    /**
     * A well-formed sealed message with random "ciphertext", as the server sees one (it cannot open it): its header
     * names {@code sender}, {@code conversation} and {@code clientMsgId}, and it has a key for each of {@code recipients}.
     */
    public static byte[] sealed(long sender, String conversation, String clientMsgId, int bodyBytes, long... recipients) {
        RecipientList.Builder list = RecipientList.newBuilder();
        for (long recipient : recipients) {
            list.addRecipients(RecipientKey.newBuilder().setAccountId(recipient).setKeyId(1)
                    .setEnc(ByteString.copyFrom(random(32))).setSealedContentKey(ByteString.copyFrom(random(48))));
        }
        return SealedMessage.newBuilder()
                .setHeader(MessageHeader.newBuilder().setVersion(ProtocolVersion.SEALED_MESSAGE).setConversationId(conversation)
                        .setSenderId(sender).setSenderKeyId(1).setClientMsgId(clientMsgId).setSentAtMs(1).build().toByteString())
                .setRecipients(list.build().toByteString())
                .setBody(SealedBody.newBuilder().setNonce(ByteString.copyFrom(random(12)))
                        .setCiphertext(ByteString.copyFrom(random(bodyBytes))).build().toByteString())
                .setSignature(ByteString.copyFrom(random(64)))
                .build().toByteArray();
    }

    /** A unique valid user name. */
    public static String uniqueName(String prefix) {
        return prefix + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
    }

    /** Sets how long reads wait. */
    public WireClient readTimeout(int millis) {
        try {
            socket.setSoTimeout(millis);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public Optional<Envelope> readWithin(int millis) {
        try {
            socket.setSoTimeout(millis);
            return Optional.of(read());
        } catch (UncheckedIOException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            readTimeout(READ_TIMEOUT_MS);
        }
    }

    /** Drops the connection with a TCP reset, as a peer that vanishes does (no orderly close). */
    public void abort() {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // closing anyway
        }
        close();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
