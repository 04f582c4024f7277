package dev.fastchat.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.protocol.EncodedEnvelope;
import dev.fastchat.protocol.v1.Deliver;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.Message;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A push to many sessions is serialized once: every session writes a view of the same bytes, freed after the last. */
class SharedPushTest {

    /** A connection that takes a reference to the shared bytes, as the transport does, and keeps it. */
    static final class Recording implements Connection {
        final List<EncodedEnvelope> shared = new ArrayList<>();
        final List<ByteBuf> written = new ArrayList<>();
        final List<Envelope> single = new ArrayList<>();

        @Override
        public String id() {
            return "test";
        }

        @Override
        public String remoteAddress() {
            return "127.0.0.1";
        }

        @Override
        public void send(Envelope envelope) {
            single.add(envelope);
        }

        @Override
        public void send(EncodedEnvelope encoded) {
            shared.add(encoded);
            written.add(encoded.share().content()); // the reference a channel takes, and releases once written
        }

        @Override
        public void close(Envelope last) {}

        @Override
        public void acceptedRequestsChanged() {}

        @Override
        public ConnectionState state() {
            return new ConnectionState(4);
        }
    }

    @Test
    void aPushToAGroupsSessionsIsEncodedOnceAndFreedAfterTheLastWrite() throws Exception {
        SessionRegistry sessions = new SessionRegistry();
        List<Recording> connections = new ArrayList<>();
        List<Long> members = new ArrayList<>();
        for (long account = 1; account <= 256; account++) {
            Recording connection = new Recording();
            sessions.add(account, connection);
            connections.add(connection);
            members.add(account);
        }
        Recording sender = connections.getFirst();
        Envelope push = Envelope.newBuilder().setDeliver(Deliver.newBuilder().setMessage(Message.newBuilder()
                .setConversationId("g:1").setSeq(7).setSenderName("alice"))).build();

        sessions.push(members, push, sender);

        EncodedEnvelope first = connections.get(1).shared.getFirst();
        for (Recording connection : connections.subList(1, connections.size())) {
            assertThat(connection.single).isEmpty();
            assertThat(connection.shared).singleElement().isSameAs(first);
        }
        assertThat(sender.shared).isEmpty();
        byte[] expected = push.toByteArray();
        ByteBuf frame = connections.get(200).written.getFirst();
        assertThat(frame.readInt()).isEqualTo(expected.length);
        byte[] body = new byte[frame.readableBytes()];
        frame.readBytes(body);
        assertThat(body).isEqualTo(expected);

        List<ByteBuf> views = connections.stream().flatMap(c -> c.written.stream()).toList();
        assertThat(views).hasSize(255).allSatisfy(view -> assertThat(view.refCnt()).isPositive());
        views.forEach(ByteBuf::release); // as each channel does once its write is flushed
        assertThat(views.getFirst().refCnt()).as("the shared buffer is freed with the last view").isZero();
    }

    @Test
    void aPushIsEncodedIntoAnUnpooledBufferAsTheConnectionsOwnAre() {
        SessionRegistry sessions = new SessionRegistry();
        Recording sender = new Recording();
        Recording recipient = new Recording();
        sessions.add(1, sender);
        sessions.add(2, recipient);

        sessions.push(List.of(1L, 2L), Envelope.newBuilder().setDeliver(Deliver.newBuilder().setMessage(Message.newBuilder()
                .setConversationId("d:1:2").setSeq(1))).build(), sender);

        ByteBuf frame = recipient.written.getFirst();
        assertThat(frame.isDirect()).isTrue();
        assertThat(frame.alloc().isDirectBufferPooled())
                .as("no buffer pool of its own for pushes: Netty's default one costs a server's first push its set-up, and keeps its chunks")
                .isFalse();
        frame.release();
    }
}
