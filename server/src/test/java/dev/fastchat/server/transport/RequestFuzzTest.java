package dev.fastchat.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.Ping;
import dev.fastchat.protocol.v1.Resume;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.slf4j.LoggerFactory;

/**
 * Every request type with generated contents, over a real socket to a real server: numbers at and around
 * every signed and unsigned edge, strings with control characters and other scripts, bytes of every length,
 * nested messages and repeated fields. Whatever arrives, the server answers without {@code INTERNAL}, logs no
 * error, and the connection still answers a {@code Ping} (unless the request was a {@code Hello} it refused,
 * which closes by design). Each try sends a batch on a logged-in connection; jqwik reports the seed of a
 * failing try.
 */
class RequestFuzzTest {
    private static final int REQUESTS_PER_TRY = 12;
    private static final List<FieldDescriptor> BODIES = Envelope.getDescriptor().getOneofs().getFirst().getFields();

    private static Path dir;
    private static TestServer server;
    private static ListAppender<ILoggingEvent> errors;
    private static String token;

    @BeforeContainer
    static void start() throws Exception {
        dir = Files.createTempDirectory("fastchat-fuzz");
        server = TestServer.start(dir.resolve("data"));
        errors = new ListAppender<>() {
            @Override
            protected void append(ILoggingEvent event) {
                if (event.getLevel().isGreaterOrEqual(Level.ERROR)) {
                    super.append(event);
                }
            }
        };
        errors.start();
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).addAppender(errors);
    }

    @AfterContainer
    static void stop() {
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).detachAppender(errors);
        server.close();
    }

    @Property(tries = 300)
    void noRequestGetsInternalOrLogsAnErrorOrBreaksTheConnection(@ForAll long seed) {
        Random random = new Random(seed);
        WireClient client = loggedIn();
        try {
            for (int i = 0; i < REQUESTS_PER_TRY; i++) {
                FieldDescriptor body = BODIES.get(random.nextInt(BODIES.size()));
                Envelope.Builder request = Envelope.newBuilder();
                Message.Builder message = request.newBuilderForField(body);
                fill(message, random, 0);
                request.setField(body, message.build());
                if (body.getName().equals("pong")) { // the answer to the server's ping: nothing comes back
                    client.send(request.setRequestId(client.nextId()).build());
                    continue;
                }
                Envelope answer = client.call(request);
                assertThat(answer.hasError() ? answer.getError().getCode() : ErrorCode.ERROR_CODE_UNSPECIFIED)
                        .as("%s answered %s", body.getName(), answer).isNotEqualTo(ErrorCode.INTERNAL);
                if (body.getName().equals("hello") && answer.hasError()) {
                    client.close(); // a refused version closes the connection, by design
                    client = loggedIn();
                    continue;
                }
                Envelope pong = client.call(Envelope.newBuilder().setPing(Ping.getDefaultInstance()));
                assertThat(pong.hasPong()).as("after %s: %s", body.getName(), pong).isTrue();
                if (body.getName().equals("logout") || body.getName().equals("end_session")) {
                    // Possibly logged out: the small frame limit of a connection before log-in applies again.
                    client.close();
                    client = loggedIn();
                }
            }
            assertThat(errors.list).as("errors logged").isEmpty();
        } finally {
            client.close();
        }
    }

    /** A connection that said Hello and resumed the test account's session (a new account once a try ended it). */
    private static WireClient loggedIn() {
        WireClient client = WireClient.connect(server.address());
        client.hello();
        if (token == null || !client.call(Envelope.newBuilder().setResume(Resume.newBuilder().setToken(token))).hasSession()) {
            token = client.register(WireClient.uniqueName("fuzz"), WireClient.random(32)).getSession().getToken();
        }
        return client;
    }

    private static void fill(Message.Builder message, Random random, int depth) {
        for (FieldDescriptor field : message.getDescriptorForType().getFields()) {
            if (random.nextInt(4) == 0) {
                continue;
            }
            if (field.isRepeated()) {
                int count = random.nextInt(4);
                for (int i = 0; i < count; i++) {
                    Object value = value(message, field, random, depth);
                    if (value != null) {
                        message.addRepeatedField(field, value);
                    }
                }
            } else {
                Object value = value(message, field, random, depth);
                if (value != null) {
                    message.setField(field, value);
                }
            }
        }
    }

    private static Object value(Message.Builder parent, FieldDescriptor field, Random random, int depth) {
        return switch (field.getJavaType()) {
            case INT -> pick(random, 0, 1, 2, 200, 1_000_000, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, random.nextInt());
            case LONG -> pick(random, 0L, 1L, 2L, 100L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 31, 1L << 32, random.nextLong());
            case BOOLEAN -> random.nextBoolean();
            case FLOAT -> random.nextFloat();
            case DOUBLE -> random.nextDouble();
            case STRING -> string(random);
            case BYTE_STRING -> ByteString.copyFrom(bytes(random));
            case ENUM -> {
                var values = field.getEnumType().getValues();
                yield values.get(random.nextInt(values.size()));
            }
            case MESSAGE -> {
                if (depth >= 3) {
                    yield null;
                }
                Message.Builder nested = parent.newBuilderForField(field);
                fill(nested, random, depth + 1);
                yield nested.build();
            }
        };
    }

    @SafeVarargs
    private static <T> T pick(Random random, T... choices) {
        return choices[random.nextInt(choices.length)];
    }

    private static String string(Random random) {
        return switch (random.nextInt(8)) {
            case 0 -> "";
            case 1 -> WireClient.uniqueName("u");
            case 2 -> "d:1:2";
            case 3 -> "g:" + random.nextInt(5);
            case 4 -> "\u001b[31m\u0000\u009b\n" + "x".repeat(random.nextInt(40));
            case 5 -> "名前-" + "é".repeat(random.nextInt(50));
            case 6 -> "a".repeat(random.nextInt(2_000));
            default -> new String(bytes(random), StandardCharsets.ISO_8859_1);
        };
    }

    private static byte[] bytes(Random random) {
        byte[] bytes = new byte[pick(random, 0, 1, 16, 32, 64, 200, 5_000)];
        random.nextBytes(bytes);
        return bytes;
    }
}
