package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatFixture.User;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Random sends, invitations, removals and clients going away and coming back (each return is a new session, with
 * new sender chains) in one group of five users, through the real server. At the end the operator shows every user
 * who was ever a member the whole conversation (its database altered behind the server's back): each must open
 * exactly the messages sent while it was a member, whatever happened to the chains meanwhile.
 */
class SenderKeysPropertyTest {
    @RegisterExtension
    static final ChatFixture chats = new ChatFixture();

    private static final int USERS = 5;
    private static final int STEPS = 60;

    @Test
    void everyoneOpensExactlyTheMessagesSentWhileItWasAMember() throws Exception {
        for (long seed : new long[] {11, 23, 42}) {
            run(seed);
        }
    }

    private void run(long seed) throws Exception {
        Random random = new Random(seed);
        List<String> names = new ArrayList<>();
        List<User> online = new ArrayList<>(); // null while the user's client is away
        try {
            for (int u = 0; u < USERS; u++) {
                User user = chats.register("p" + u);
                names.add(user.name());
                online.add(user);
            }
            String group = SignedMembershipTest.groupOf(online.getFirst()); // user 0 creates it and stays its admin
            Set<Integer> members = new TreeSet<>(Set.of(0));
            Set<Integer> everMember = new HashSet<>(members);
            Map<Long, Set<Integer>> entitled = new HashMap<>();
            List<String> steps = new ArrayList<>();
            for (int step = 0; step < STEPS; step++) {
                int roll = random.nextInt(10);
                List<Integer> senders = pick(USERS, u -> members.contains(u) && online.get(u) != null);
                List<Integer> changeable = pick(USERS, u -> u != 0 && online.get(u) != null && online.getFirst() != null);
                if (roll < 5 && !senders.isEmpty()) { // a member whose client is here sends
                    int u = senders.get(random.nextInt(senders.size()));
                    long seq = await(online.get(u).client().send(Target.group(group), "m" + step)).seq();
                    entitled.put(seq, Set.copyOf(members));
                    steps.add(u + " sends #" + seq);
                } else if (roll < 7 && !changeable.isEmpty()) { // user 0 invites a non-member (who accepts) or removes a member
                    int u = changeable.get(random.nextInt(changeable.size()));
                    if (members.contains(u)) {
                        await(online.getFirst().client().groups().remove(group, names.get(u)));
                        members.remove(u);
                        steps.add("0 removes " + u);
                    } else {
                        await(online.getFirst().client().groups().add(group, names.get(u)));
                        await(online.get(u).client().invitations().accept(group));
                        members.add(u);
                        everMember.add(u);
                        steps.add("0 adds " + u);
                    }
                } else { // a client goes away, or comes back as a new session (with new sender chains)
                    int u = random.nextInt(USERS);
                    if (online.get(u) != null) {
                        online.get(u).close();
                        online.set(u, null);
                        steps.add(u + " goes away");
                    } else {
                        online.set(u, chats.login(names.get(u), "first"));
                        steps.add(u + " comes back");
                    }
                }
            }
            assertThat(entitled).as("seed %d sent too little: %s", seed, steps).hasSizeGreaterThan(10);
            for (int u = 0; u < USERS; u++) {
                if (online.get(u) == null) {
                    online.set(u, chats.login(names.get(u), "first"));
                }
            }
            String conversation = await(online.getFirst().client().groups().list()).stream().filter(g -> g.name().equals(group))
                    .findFirst().orElseThrow().conversationId();
            chats.alterDatabase("UPDATE members SET joined_seq = 0, left_seq = NULL WHERE conversation_id = ?", conversation);
            for (int u : everMember) {
                int me = u;
                Set<Long> expected = new TreeSet<>();
                entitled.forEach((seq, to) -> {
                    if (to.contains(me)) {
                        expected.add(seq);
                    }
                });
                List<Long> opened = await(online.get(u).client().history(Target.group(group), 0, 100)).stream().map(ChatMessage::seq).toList();
                assertThat(new TreeSet<>(opened)).as("seed %d, user %d after %s", seed, u, steps).isEqualTo(expected);
            }
        } finally {
            online.stream().filter(java.util.Objects::nonNull).forEach(User::close);
        }
    }

    private static List<Integer> pick(int users, java.util.function.IntPredicate which) {
        return java.util.stream.IntStream.range(0, users).filter(which).boxed().toList();
    }
}
