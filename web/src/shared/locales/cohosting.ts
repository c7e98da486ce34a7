// Co-hosting (连麦) as the buyer app's own pages show it: the invitation in the room and on the Me page, who is on
// screen, the Me page's go-live link. Small, since the room page loads it (its JavaScript has a budget); the
// go-live panel and pages have theirs in golive.ts.
import i18next from 'i18next';
import '../i18n.ts';

type Dictionary<T> = { [K in keyof T]: T[K] extends string ? string : Dictionary<T[K]> };

export const cohostingEn = {
  banner: '{{shop}} invites you to co-host on screen',
  bannerAccepted: 'You are the co-host of “{{title}}”',
  accept: 'Accept',
  rejoin: 'Join',
  decline: 'Decline',
  invites: 'Co-host invitations',
  invitedTo: 'Invited to “{{title}}”',
  onScreen: { label: 'On screen', roles: { host: 'Host', guest: 'Guest' } },
  meLink: 'Go live (phone)',
};

export const cohostingZhCN: Dictionary<typeof cohostingEn> = {
  banner: '{{shop}} 邀请你连麦出镜',
  bannerAccepted: '你是“{{title}}”的连麦嘉宾',
  accept: '接受',
  rejoin: '进入连麦',
  decline: '拒绝',
  invites: '连麦邀请',
  invitedTo: '邀请你连麦：“{{title}}”',
  onScreen: { label: '画面中', roles: { host: '主播', guest: '嘉宾' } },
  meLink: '手机开播',
};

i18next.addResourceBundle('en', 'translation', { cohosting: cohostingEn }, true, true);
i18next.addResourceBundle('zh-CN', 'translation', { cohosting: cohostingZhCN }, true, true);
