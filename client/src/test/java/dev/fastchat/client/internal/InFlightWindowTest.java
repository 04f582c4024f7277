package dev.fastchat.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatListener;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.Ok;
import dev.fastchat.protocol.v1.WhoIsOnline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The client keeps fewer requests unanswered than the server's in-flight limit and queues the rest: against
 * a test double of a server that reads requests and answers only when told, over a real socket.
 */
class InFlightWindowTest {
    @Test
    void requestsBeyondTheWindowWaitInOrderAndGoOutAsAnswersComeBack() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                io.netty.channel.epoll.Epoll.isAvailable() ? io.netty.channel.epoll.EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setSoTimeout(10_000);
            CompletableFuture<ClientConnection> opened = ClientConnection.open(group, "127.0.0.1", listener.getLocalPort(),
                    Optional.empty(), Optional.empty(), Duration.ofSeconds(30), Duration.ofSeconds(60), new ChatListener() {}, push -> { });
            try (Socket server = listener.accept()) {
                server.setSoTimeout(10_000);
                DataInputStream in = new DataInputStream(server.getInputStream());
                DataOutputStream out = new DataOutputStream(server.getOutputStream());
                ClientConnection connection = opened.get(10, TimeUnit.SECONDS);
                connection.limitInFlight(4); // the server takes 4 at once: the client keeps 3 out, room for a ping

                List<CompletableFuture<Envelope>> answers = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    answers.add(connection.request(Envelope.newBuilder().setWhoIsOnline(WhoIsOnline.newBuilder().addUsernames("u" + i))));
                }
                List<Envelope> received = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    received.add(read(in));
                }
                server.setSoTimeout(300);
                assertThat(readOrNull(in)).as("a fourth request before any answer").isNull();
                server.setSoTimeout(10_000);

                // Answering one lets exactly one more out, the next in order.
                answer(out, received.getFirst());
                Envelope fourth = read(in);
                assertThat(fourth.getWhoIsOnline().getUsernames(0)).isEqualTo("u3");
                received.add(fourth);
                answers.getFirst().get(10, TimeUnit.SECONDS);
                for (int next = 4; next < 10; next++) {
                    answer(out, received.get(next - 3));
                    Envelope request = read(in);
                    assertThat(request.getWhoIsOnline().getUsernames(0)).isEqualTo("u" + next);
                    received.add(request);
                }
                for (int last = 7; last < 10; last++) {
                    answer(out, received.get(last));
                }
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> answers.stream().allMatch(CompletableFuture::isDone));
                assertThat(answers).allSatisfy(answer -> assertThat(answer).isCompleted());
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private static Envelope read(DataInputStream in) throws Exception {
        byte[] frame = new byte[in.readInt()];
        in.readFully(frame);
        return Envelope.parseFrom(frame);
    }

    private static Envelope readOrNull(DataInputStream in) throws Exception {
        try {
            return read(in);
        } catch (java.net.SocketTimeoutException e) {
            return null;
        }
    }

    private static void answer(DataOutputStream out, Envelope request) throws Exception {
        byte[] frame = Envelope.newBuilder().setRequestId(request.getRequestId()).setOk(Ok.getDefaultInstance()).build().toByteArray();
        out.writeInt(frame.length);
        out.write(frame);
        out.flush();
    }
}
