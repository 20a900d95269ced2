// The signed-in session of a page: the same token and user the runs page keeps in sessionStorage
// (one tab's life, never in a URL), the login form, "Log out", and requests with the token.
"use strict";

const TOKEN_KEY = "navai.token";
const USER_KEY = "navai.user";
const $ = (id) => document.getElementById(id);

export function token() { return sessionStorage.getItem(TOKEN_KEY); }
export function user() { return JSON.parse(sessionStorage.getItem(USER_KEY) || "null"); }

let onSignedOut = () => {};

function authorization() { return { Authorization: "Bearer " + token() }; }

// A JSON request with the token: { status, body }. A 401 means the token is gone: forget it.
export async function api(path, method = "GET") {
  const response = await fetch(path, { method, headers: authorization() });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) forget();
  return { status: response.status, body };
}

// Bytes with the token (a recording): the Blob, or null with the API's message.
export async function blob(path) {
  const response = await fetch(path, { headers: authorization() });
  if (response.status === 401) forget();
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    return { blob: null, message: response.status + ": " + (body.message || "refused") };
  }
  return { blob: await response.blob(), message: "" };
}

function forget() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  $("app").hidden = true;
  $("who").hidden = true;
  $("login-section").hidden = false;
  onSignedOut();
}

// "Log out": revoke the token on the server (POST /auth/logout), then forget it whatever the answer.
async function logout() {
  const current = token();
  if (current) {
    await fetch("/auth/logout", { method: "POST", headers: authorization() }).catch(() => null);
  }
  forget();
}

async function login(event, onSignedIn) {
  event.preventDefault();
  $("login-error").textContent = "";
  const response = await fetch("/auth/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: $("email").value, password: $("password").value }),
  });
  const body = await response.json().catch(() => ({}));
  if (response.status !== 200) {
    $("login-error").textContent = body.message || "Login failed";
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, body.access_token);
  sessionStorage.setItem(USER_KEY, JSON.stringify(body.user));
  show(onSignedIn);
}

function show(onSignedIn) {
  const u = user();
  $("login-section").hidden = true;
  $("app").hidden = false;
  $("who").hidden = false;
  $("who-text").textContent = u.email + " (" + u.role + ")";
  onSignedIn(u);
}

// Wire the page's #login-form and #logout; call onSignedIn(user) now if a token is kept already.
export function startSession(onSignedIn, signedOut) {
  onSignedOut = signedOut;
  $("login-form").addEventListener("submit", (event) => login(event, onSignedIn));
  $("logout").addEventListener("click", logout);
  if (token() && user()) show(onSignedIn);
}
