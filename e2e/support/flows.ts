import type { Page } from 'playwright-core';

export interface Credentials {
  email: string;
  password: string;
}

export async function signIn(page: Page, who: Credentials): Promise<void> {
  await page.goto('/sign-in');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The app frame (its nav may be folded away on a phone).
  await page.locator('main#main').waitFor();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/sign-in**');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}

export async function navTo(page: Page, label: string, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** The labels of the main navigation, in order. */
export async function navLabels(page: Page): Promise<string[]> {
  const links = page.getByRole('navigation', { name: 'Main' }).getByRole('link');
  return (await links.allInnerTexts()).map((t) => t.trim());
}

/** Set-up and users through the API, for tests whose subject is something else. */
export class ApiSession {
  private constructor(
    private readonly baseUrl: string,
    private readonly cookie: string,
    private readonly csrf: string,
  ) {}

  static async setup(
    baseUrl: string,
    input: { workspaceName: string; name: string; email: string; password: string },
  ): Promise<ApiSession> {
    const res = await fetch(`${baseUrl}/api/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { csrfToken: string };
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    return new ApiSession(baseUrl, cookie, body.csrfToken);
  }

  /** {@link setup} with the first admin as the e2e flows write one: its workspace's name under `workspace`. */
  static async setupAdmin(
    baseUrl: string,
    admin: { workspace: string; name: string; email: string; password: string },
  ): Promise<ApiSession> {
    return ApiSession.setup(baseUrl, { workspaceName: admin.workspace, name: admin.name, email: admin.email, password: admin.password });
  }

  async post(path: string, body: unknown): Promise<unknown> {
    const res = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: this.cookie, 'x-csrf-token': this.csrf },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${path} failed: ${res.status} ${await res.text()}`);
    return res.json();
  }
}
