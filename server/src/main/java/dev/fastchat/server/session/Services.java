package dev.fastchat.server.session;

import dev.fastchat.server.account.AccountService;
import dev.fastchat.server.account.KeyDirectoryService;
import dev.fastchat.server.file.FileService;
import dev.fastchat.server.group.GroupService;
import dev.fastchat.server.message.MessageService;
import dev.fastchat.server.presence.PresenceService;

/** The services requests are routed to. */
public record Services(AccountService accounts, KeyDirectoryService keys, MessageService messages, GroupService groups,
                       PresenceService presence, FileService files) {}
