// The console's strings for embeddable cards (issue 19), in their own module: only the console pages that show a
// snippet or the allow-list import it. Importing it adds both languages to i18next; the keys are typed through i18n.ts.
import i18next from 'i18next';
import '../i18n.ts';

type Dictionary<T> = { [K in keyof T]: T[K] extends string ? string : Dictionary<T[K]> };

export const embedsEn = {
  nav: 'Embeds',
  snippet: {
    button: 'Embed',
    title: 'Embed “{{title}}”',
    intro: 'Paste this into your site or article: a card with the live price, stock and a button that opens it in Hawker. Orders placed through it count under the channel “Embedded cards”.',
    script: 'Script (resizes to fit)',
    iframe: 'Plain iframe',
    copy: 'Copy',
    copied: 'Copied',
    preview: 'Preview',
    allowHint: 'Only the sites on your allow-list may show the card.',
    settings: 'Edit the allow-list',
  },
  settings: {
    title: 'Embeds',
    intro: 'Product, live and video cards can be placed in your own site or articles. List the sites that may show them: one origin per line, such as https://blog.example.com (a scheme and host, with a port if not the usual one).',
    emptyRule: 'With an empty list no other site can show your cards: browsers refuse to frame them anywhere but Hawker itself.',
    origins: 'Sites that may show your cards',
    save: 'Save',
    saved: 'Saved',
    count: '{{n}} of {{max}} sites',
    howTo: 'To get the code for a card, use the “Embed” button beside a product, a live session or a video.',
  },
};

export const embedsZhCN: Dictionary<typeof embedsEn> = {
  nav: '站外嵌入',
  snippet: {
    button: '嵌入',
    title: '嵌入「{{title}}」',
    intro: '把这段代码放进你的网站或文章：卡片实时显示价格、库存，按钮在 Hawker 中打开。通过卡片下的订单计入“站外嵌入”渠道。',
    script: '脚本（自动适应高度）',
    iframe: '纯 iframe',
    copy: '复制',
    copied: '已复制',
    preview: '预览',
    allowHint: '只有白名单里的网站能显示卡片。',
    settings: '编辑白名单',
  },
  settings: {
    title: '站外嵌入',
    intro: '商品、直播和短视频卡片可以放进你自己的网站或文章。请列出可以显示卡片的网站：每行一个来源，例如 https://blog.example.com（协议和域名，非默认端口需写明）。',
    emptyRule: '白名单为空时，其他网站都不能显示你的卡片：浏览器只允许 Hawker 自己嵌入。',
    origins: '可以显示卡片的网站',
    save: '保存',
    saved: '已保存',
    count: '{{n}} / {{max}} 个网站',
    howTo: '在商品、直播或短视频旁点“嵌入”即可获取卡片代码。',
  },
};

i18next.addResourceBundle('en', 'translation', { embeds: embedsEn }, true, true);
i18next.addResourceBundle('zh-CN', 'translation', { embeds: embedsZhCN }, true, true);
