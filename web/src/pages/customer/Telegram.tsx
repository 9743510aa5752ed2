// Link Telegram: a one-time deep link (t.me/<bot>?start=<code>, good for a few minutes) that links the Telegram
// chat opening it to my account; my linked chats, each of which I can unlink. The bot then opens tickets from the
// chat, takes replies into their tickets and sends what the desk tells me (shared/channels/telegram.py).
import { useEffect, useState } from "preact/hooks";
import { api, call } from "../../api/client";
import { formatDateTime } from "../../format/datetime";
import { t } from "../../i18n";
import { problemText } from "./portal";

interface Chats {
  bot: string;
  items: { chat_id: number; name: string | null; linked_at: string }[];
}

interface Link {
  url: string;
  bot: string;
  expires_at: string;
  expires_in: number;
}

export default function Telegram() {
  const [chats, setChats] = useState<Chats | null>(null);
  const [link, setLink] = useState<Link | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const fail = (e: unknown) => setError(problemText(e));
  const load = () => api.get<Chats, "/channels/telegram">("/channels/telegram").then(setChats).catch(fail);
  useEffect(() => void load(), []);
  const makeLink = () => {
    setError(null);
    api
      .post<Link, "/channels/telegram/link">("/channels/telegram/link")
      .then((made) => {
        setLink(made);
        setStatus(t("telegram.link_ready"));
      })
      .catch(fail);
  };
  const unlink = (chatId: number) =>
    call<unknown, "delete", "/channels/telegram/chats/{chat_id}">("delete", "/channels/telegram/chats/{chat_id}", {
      path: { chat_id: String(chatId) },
    })
      .then(() => {
        setStatus(t("telegram.unlinked"));
        return load();
      })
      .catch(fail);
  return (
    <section aria-labelledby="telegram-title">
      <h1 id="telegram-title">{t("telegram.title")}</h1>
      <p>{t("telegram.intro")}</p>
      <p role="status">{status}</p>
      {error && <p role="alert">{error}</p>}
      <button type="button" onClick={makeLink}>
        {t("telegram.link")}
      </button>
      {link && (
        <p class="card">
          <a href={link.url} target="_blank" rel="noopener noreferrer">
            {t("telegram.open", { bot: link.bot })}
          </a>{" "}
          {t("telegram.expires", { when: formatDateTime(link.expires_at) })}
          <br />
          <code>{link.url}</code>
        </p>
      )}
      <h2>{t("telegram.linked_chats")}</h2>
      {chats === null && !error && <p class="loading">{t("app.loading")}</p>}
      {chats && chats.items.length === 0 && <p>{t("telegram.none")}</p>}
      {chats && chats.items.length > 0 && (
        <ul class="cards">
          {chats.items.map((chat) => (
            <li key={chat.chat_id} class="card">
              {chat.name ?? chat.chat_id} · {t("telegram.linked_at", { when: formatDateTime(chat.linked_at) })}{" "}
              <button type="button" onClick={() => void unlink(chat.chat_id)}>
                {t("telegram.unlink")}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
