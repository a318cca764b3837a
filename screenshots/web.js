// screenshots/web.png by hand: apex-tui served to a real (headless) browser.
//
//   apt-get install -y chromium && npm install playwright-core
//   apex-tui web --port 8731 ...            # prints the address, with its token
//   node screenshots/web.js 'http://127.0.0.1:8731/?token=…' screenshots/web.png
//
// It waits for the app's first bytes, opens the newest chat, edits its prompt and resends it
// (a second branch), goes to the top and drags over part of the answer, then takes the shot.
const { chromium } = require('playwright-core');

(async () => {
  const [url, out] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pause = (ms) => page.waitForTimeout(ms);
  await page.goto(url);
  await page.waitForSelector('body.-first-byte', { timeout: 60000 });
  await pause(4000);
  await page.mouse.click(150, 116);  // the newest chat in the list; Enter opens it
  await pause(500);
  await page.keyboard.press('Enter');
  await pause(2500);
  await page.mouse.click(700, 300);  // the conversation
  await pause(500);
  await page.keyboard.press('e');    // edit the prompt and resend it: a new branch
  await pause(800);
  await page.keyboard.press('End');
  await page.keyboard.type(', briefly');
  await page.keyboard.press('Enter');
  await pause(5000);
  await page.mouse.click(700, 300);
  await pause(500);
  await page.keyboard.press('Home');
  await pause(800);
  await page.mouse.move(324, 206);   // select part of the answer with the mouse
  await page.mouse.down();
  await page.mouse.move(760, 242, { steps: 8 });
  await page.mouse.up();
  await pause(1500);
  await page.screenshot({ path: out });
  await browser.close();
})().catch((error) => { console.error(error); process.exit(1); });
